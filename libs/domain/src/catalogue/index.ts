export * from './catalogue.commands';
export * from './catalogue.events';
export * from './catalogue.state';
export * from './catalogue.decider';
export * from './initial-catalogue';
